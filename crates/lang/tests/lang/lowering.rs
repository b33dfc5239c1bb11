//! Lowering of tutorial-style programs to IR.

use interleave_machine::ir::{BinOp, Builtin, Callee, CmpOp, Const, ExcType, ExprKind, FPart, StmtKind, Target};

use crate::{func, ok};

const COUNTER: &str = r#"
import multiprocessing as mp

def worker(d, lock):
    temp = d['num']
    temp -= 1
    d['num'] = temp

if __name__ == '__main__':
    m = mp.Manager()
    d = m.dict()
    d['num'] = 10
    ps = [mp.Process(target=worker, args=(d, None)) for i in range(2)]
    for p in ps:
        p.start()
"#;

#[test]
fn counter_worker_gets_locals_and_aug_assign() {
    let p = ok(COUNTER);
    let w = func(&p, "worker");
    assert_eq!(w.locals, ["d", "lock", "temp"]);
    assert_eq!(w.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["d", "lock"]);
    assert_eq!(w.body.len(), 3);
    let StmtKind::AugAssign(Target::Local(2, _), BinOp::Sub, e) = &w.body[1].kind else {
        panic!("expected temp -= 1, got {:?}", w.body[1].kind)
    };
    assert!(matches!(e.kind, ExprKind::Const(Const::Int(1))));
    let StmtKind::Assign(targets, value) = &w.body[2].kind else { panic!() };
    assert!(matches!(&targets[0], Target::Subscript(obj, key, _)
        if matches!(obj.kind, ExprKind::Local(0)) && matches!(&key.kind, ExprKind::Const(Const::Str(s)) if &**s == "num")));
    assert!(matches!(value.kind, ExprKind::Local(2)));
}

#[test]
fn counter_main_uses_globals_and_module_builtins() {
    let p = ok(COUNTER);
    assert_eq!(p.globals, ["m", "d", "ps", "i", "p"]);
    assert_eq!(p.main.len(), 1);
    let StmtKind::If(test, body, orelse) = &p.main[0].kind else { panic!() };
    assert!(orelse.is_empty());
    let ExprKind::Compare(CmpOp::Eq, l, r) = &test.kind else { panic!() };
    assert!(matches!(&l.kind, ExprKind::Const(Const::Str(s)) if &**s == "__main__"));
    assert!(matches!(&r.kind, ExprKind::Const(Const::Str(s)) if &**s == "__main__"));
    let StmtKind::Assign(_, m) = &body[0].kind else { panic!() };
    assert!(matches!(m.kind, ExprKind::Call(Callee::Builtin(Builtin::Manager), _, _)));
    let StmtKind::Assign(_, comp) = &body[3].kind else { panic!() };
    let ExprKind::ListComp(elt, Target::Global(3, _), _, ifs) = &comp.kind else { panic!("{:?}", comp.kind) };
    assert!(ifs.is_empty());
    let ExprKind::Call(Callee::Builtin(Builtin::Process), args, kwargs) = &elt.kind else { panic!() };
    assert!(args.is_empty());
    assert_eq!(kwargs[0].0, "target");
    assert!(matches!(kwargs[0].1.kind, ExprKind::Function(0)));
    assert_eq!(kwargs[1].0, "args");
}

#[test]
fn method_calls_and_attributes() {
    let p = ok("from multiprocessing import Process, Value\nv = Value('i', 0)\nv.value += 1\np = Process(target=print)\np.start()\nx = p.pid\n");
    let StmtKind::AugAssign(Target::Attr(_, name, _), BinOp::Add, _) = &p.main[1].kind else { panic!() };
    assert_eq!(name, "value");
    let StmtKind::Expr(call) = &p.main[3].kind else { panic!() };
    assert!(
        matches!(&call.kind, ExprKind::Call(Callee::Method(r, m), a, _) if m == "start" && a.is_empty() && matches!(r.kind, ExprKind::Global(1)))
    );
    let StmtKind::Assign(_, attr) = &p.main[4].kind else { panic!() };
    assert!(matches!(&attr.kind, ExprKind::Attr(_, a) if a == "pid"));
}

#[test]
fn module_member_as_value_is_a_builtin() {
    let p = ok("import os\nimport multiprocessing as mp\nq = mp.Process(target=os.getpid)\n");
    let StmtKind::Assign(_, call) = &p.main[0].kind else { panic!() };
    let ExprKind::Call(Callee::Builtin(Builtin::Process), _, kw) = &call.kind else { panic!() };
    assert!(matches!(kw[0].1.kind, ExprKind::Builtin(Builtin::Getpid)));
}

#[test]
fn kwargs_to_own_functions_become_positional() {
    let p = ok("def f(a, b=1, c=2):\n    return a\n\nf(c=5, a=0)\nf(9)\nf(1, 2, 3)\n");
    let args = |i: usize| match &p.main[i].kind {
        StmtKind::Expr(e) => match &e.kind {
            ExprKind::Call(Callee::Function(0), args, kw) => {
                assert!(kw.is_empty());
                args.iter()
                    .map(|a| match a.kind {
                        ExprKind::Const(Const::Int(v)) => v,
                        _ => -1,
                    })
                    .collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(args(0), [0, 1, 5], "gap filled with b's default");
    assert_eq!(args(1), [9], "trailing defaults left to the machine");
    assert_eq!(args(2), [1, 2, 3]);
    assert!(matches!(func(&p, "f").params[1].default.as_ref().unwrap().kind, ExprKind::Const(Const::Int(1))));
}

#[test]
fn if_elif_else_nests() {
    let p = ok("x = 1\nif x == 1:\n    pass\nelif x == 2:\n    x = 3\nelse:\n    x = 4\n");
    let StmtKind::If(_, _, orelse) = &p.main[1].kind else { panic!() };
    let StmtKind::If(_, body, inner_else) = &orelse[0].kind else { panic!() };
    assert_eq!(body.len(), 1);
    assert_eq!(inner_else.len(), 1);
    assert_eq!(orelse[0].span.line, 4);
}

#[test]
fn try_handlers_lower_exception_types() {
    let src = "import queue\ntry:\n    pass\nexcept (queue.Empty, ValueError) as e:\n    raise\nexcept BaseException:\n    pass\nexcept:\n    raise RuntimeError('x')\nelse:\n    pass\nfinally:\n    pass\n";
    let p = ok(src);
    let StmtKind::Try(t) = &p.main[0].kind else { panic!() };
    assert_eq!(t.handlers[0].types, [ExcType::Empty, ExcType::ValueError]);
    assert!(matches!(t.handlers[0].name, Some(Target::Global(0, _))));
    assert!(t.handlers[1].types.is_empty());
    assert!(t.handlers[2].types.is_empty());
    assert!(matches!(t.handlers[0].body[0].kind, StmtKind::Raise(None)));
    let StmtKind::Raise(Some(e)) = &t.handlers[2].body[0].kind else { panic!() };
    assert!(matches!(e.kind, ExprKind::Call(Callee::Builtin(Builtin::Exception(ExcType::RuntimeError)), _, _)));
    assert_eq!(t.orelse.len(), 1);
    assert_eq!(t.finally.len(), 1);
}

#[test]
fn fstring_parts_keep_format_spec_and_repr() {
    let p = ok("x = 3\ns = f'n={x:>3} r={x!r}!'\n");
    let StmtKind::Assign(_, e) = &p.main[1].kind else { panic!() };
    let ExprKind::FString(parts) = &e.kind else { panic!() };
    assert!(matches!(&parts[0], FPart::Lit(s) if s == "n="));
    assert!(matches!(&parts[1], FPart::Value(v, Some(spec)) if spec == ">3" && matches!(v.kind, ExprKind::Global(0))));
    assert!(matches!(&parts[2], FPart::Lit(s) if s == " r="));
    assert!(
        matches!(&parts[3], FPart::Value(v, None) if matches!(v.kind, ExprKind::Call(Callee::Builtin(Builtin::Repr), _, _)))
    );
    assert!(matches!(&parts[4], FPart::Lit(s) if s == "!"));
}

#[test]
fn chained_comparison_of_names_becomes_and() {
    let p = ok("a = 1\nb = 2\nc = a < b <= 3\n");
    let StmtKind::Assign(_, e) = &p.main[2].kind else { panic!() };
    let ExprKind::And(l, r) = &e.kind else { panic!("{:?}", e.kind) };
    assert!(matches!(l.kind, ExprKind::Compare(CmpOp::Lt, _, _)));
    assert!(matches!(r.kind, ExprKind::Compare(CmpOp::Le, _, _)));
}

#[test]
fn constants_slices_and_floats() {
    let p = ok("s = 'abc'[1:]\nt = time_ = -2\nf = 0.5\nn = None\n");
    let StmtKind::Assign(_, e) = &p.main[0].kind else { panic!() };
    assert!(matches!(&e.kind, ExprKind::Slice(_, Some(_), None)));
    let StmtKind::Assign(targets, e) = &p.main[1].kind else { panic!() };
    assert_eq!(targets.len(), 2);
    assert!(matches!(e.kind, ExprKind::Const(Const::Int(-2))));
    let StmtKind::Assign(_, e) = &p.main[2].kind else { panic!() };
    assert!(matches!(e.kind, ExprKind::Const(Const::Float(b)) if b == 0.5f64.to_bits()));
}

#[test]
fn spans_are_one_based_and_count_characters() {
    let p = ok("x = 'é'\ny = x\n");
    let StmtKind::Assign(_, e) = &p.main[1].kind else { panic!() };
    assert_eq!((e.span.line, e.span.col), (2, 5));
    assert_eq!(&p.source[e.span.start as usize..e.span.end as usize], "x");
    let StmtKind::Assign(t, _) = &p.main[0].kind else { panic!() };
    assert!(matches!(t[0], Target::Global(0, s) if s.line == 1 && s.col == 1));
}

#[test]
fn with_items_and_tuple_unpacking() {
    let p =
        ok("from multiprocessing import Lock\nl = Lock()\nwith l, open('f', 'w') as fh:\n    a, (b, c) = 1, (2, 3)\n");
    let StmtKind::With(items, body) = &p.main[1].kind else { panic!() };
    assert!(items[0].1.is_none());
    assert!(matches!(items[1].1, Some(Target::Global(_, _))));
    let StmtKind::Assign(t, _) = &body[0].kind else { panic!() };
    assert!(
        matches!(&t[0], Target::Tuple(v, _) if v.len() == 2 && matches!(&v[1], Target::Tuple(w, _) if w.len() == 2))
    );
}
