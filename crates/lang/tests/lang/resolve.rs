//! Name resolution: local vs global vs function vs builtin, `global`.

use interleave_machine::ir::{Builtin, Callee, ExprKind, StmtKind, Target};

use crate::{func, ok};

#[test]
fn assigned_names_are_local_read_only_names_are_global() {
    let p = ok("count = 0\ndef f(n):\n    total = count + n\n    for i in range(n):\n        pass\n    return total\n");
    let f = func(&p, "f");
    assert_eq!(f.locals, ["n", "total", "i"]);
    let StmtKind::Assign(t, e) = &f.body[0].kind else { panic!() };
    assert!(matches!(t[0], Target::Local(1, _)));
    let ExprKind::Binary(_, l, r) = &e.kind else { panic!() };
    assert!(matches!(l.kind, ExprKind::Global(0)));
    assert!(matches!(r.kind, ExprKind::Local(0)));
}

#[test]
fn global_declaration_makes_assignment_global() {
    let p = ok("def bump():\n    global hits\n    hits += 1\n\nhits = 0\nbump()\n");
    assert_eq!(p.globals, ["hits"]);
    let f = func(&p, "bump");
    assert!(f.locals.is_empty());
    assert!(matches!(f.body[0].kind, StmtKind::AugAssign(Target::Global(0, _), _, _)));
}

#[test]
fn functions_resolve_before_their_definition() {
    let p = ok("def a():\n    return b()\n\ndef b():\n    return 1\n");
    let StmtKind::Return(Some(e)) = &func(&p, "a").body[0].kind else { panic!() };
    assert!(matches!(e.kind, ExprKind::Call(Callee::Function(1), _, _)));
}

#[test]
fn locals_shadow_builtins_and_functions() {
    let p = ok("def g():\n    pass\n\ndef f():\n    g = 1\n    len = 2\n    return g + len\n");
    let f = func(&p, "f");
    assert_eq!(f.locals, ["g", "len"]);
    let StmtKind::Return(Some(e)) = &f.body[2].kind else { panic!() };
    assert!(
        matches!(&e.kind, ExprKind::Binary(_, l, r) if matches!(l.kind, ExprKind::Local(0)) && matches!(r.kind, ExprKind::Local(1)))
    );
}

#[test]
fn imports_map_aliases_to_builtins() {
    let p = ok("from multiprocessing import Lock as L, current_process\nimport time as t\nimport sys, ast\nl = L()\nt.sleep(0.1)\nx = current_process().name\nsys.exit(ast.literal_eval('1'))\n");
    let call = |i: usize| match &p.main[i].kind {
        StmtKind::Assign(_, e) | StmtKind::Expr(e) => e.kind.clone(),
        other => panic!("{other:?}"),
    };
    assert!(matches!(call(0), ExprKind::Call(Callee::Builtin(Builtin::Lock), _, _)));
    assert!(matches!(call(1), ExprKind::Call(Callee::Builtin(Builtin::Sleep), _, _)));
    assert!(matches!(call(3), ExprKind::Call(Callee::Builtin(Builtin::SysExit), a, _)
        if matches!(a[0].kind, ExprKind::Call(Callee::Builtin(Builtin::LiteralEval), _, _))));
}

#[test]
fn except_name_and_with_target_are_locals() {
    let p = ok("def f():\n    with open('x') as fh:\n        pass\n    try:\n        pass\n    except ValueError as e:\n        pass\n");
    assert_eq!(func(&p, "f").locals, ["fh", "e"]);
}

#[test]
fn comprehension_target_in_function_is_local() {
    let p = ok("def f(xs):\n    return [x * 2 for x in xs if x]\n");
    let f = func(&p, "f");
    assert_eq!(f.locals, ["xs", "x"]);
    let StmtKind::Return(Some(e)) = &f.body[0].kind else { panic!() };
    assert!(matches!(&e.kind, ExprKind::ListComp(_, Target::Local(1, _), _, ifs) if ifs.len() == 1));
}
