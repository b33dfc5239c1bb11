//! Every diagnostic names `path:line:col`, the construct and a `help:`.

use crate::err;

fn assert_renders(src: &str, at: &str, parts: &[&str]) {
    let d = err(src);
    let text = d.render();
    assert!(text.contains(&format!("t.py:{at}")), "no t.py:{at} in:\n{text}");
    assert!(text.contains("= help:"), "no help in:\n{text}");
    for part in parts {
        assert!(text.contains(part), "no {part:?} in:\n{text}");
    }
    assert_eq!(text, d.to_string());
}

#[test]
fn lambda_is_rejected() {
    assert_renders("f = lambda x: x\n", "1:5", &["error: unsupported construct: lambda", "def"]);
}

#[test]
fn class_is_rejected() {
    assert_renders("x = 1\nclass A:\n    pass\n", "2:1", &["unsupported construct: class", "2 | class A:"]);
}

#[test]
fn unsupported_module_is_rejected() {
    assert_renders("import random\n", "1:8", &["unsupported module 'random'", "multiprocessing, time"]);
    assert_renders("from threading import Thread\n", "1:6", &["unsupported module 'threading'"]);
}

#[test]
fn syntax_error_is_a_diagnostic() {
    assert_renders("def f(:\n    pass\n", "1:7", &["syntax error"]);
}

#[test]
fn syntax_error_at_end_of_file_points_at_last_character() {
    assert_renders("x = 1\ny = (\n\n", "2:5", &["syntax error", "2 | y = ("]);
}

#[test]
fn unknown_name_suggests_close_name() {
    assert_renders("counter = 0\nprint(countr)\n", "2:7", &["unknown name 'countr'", "did you mean 'counter'?"]);
}

#[test]
fn unknown_method_suggests_close_name() {
    let d = err("from multiprocessing import Lock\nl = Lock()\nl.aquire()\n");
    assert_eq!((d.line, d.col), (3, 3));
    assert_renders(
        "from multiprocessing import Lock\nl = Lock()\nl.aquire()\n",
        "3:3",
        &["unknown method 'aquire'", "did you mean 'acquire'?"],
    );
}

#[test]
fn unknown_attribute_and_module_member() {
    assert_renders("import os\nx = os.getpidd()\n", "2:8", &["'os.getpidd'", "did you mean 'getpid'?"]);
    assert_renders("x = 1\ny = x.valu\n", "2:7", &["unknown attribute 'valu'", "did you mean 'value'?"]);
}

#[test]
fn bad_calls_of_own_functions() {
    assert_renders("def f(a, b):\n    pass\nf(1)\n", "3:1", &["missing argument 'b'", "f(a, b)"]);
    assert_renders("def f(a):\n    pass\nf(1, 2)\n", "3:1", &["takes 1 arguments but 2 were given"]);
    assert_renders("def f(count):\n    pass\nf(cont=1)\n", "3:3", &["no parameter 'cont'", "did you mean 'count'?"]);
}

#[test]
fn other_unsupported_constructs() {
    assert_renders("def f():\n    def g():\n        pass\n", "2:5", &["nested def"]);
    assert_renders("x = {1, 2}\n", "1:5", &["set literal"]);
    assert_renders("x = [1]\ndel x\n", "2:1", &["del"]);
    assert_renders("def f(*args):\n    pass\n", "1:7", &["*args"]);
    assert_renders("x = 1 << 2\n", "1:5", &["operator `<<`"]);
    assert_renders("x = sum(i for i in range(3))\n", "1:9", &["generator expression"]);
    assert_renders("def f():\n    import os\n", "2:5", &["import inside a function"]);
    assert_renders("def f(x=[]):\n    pass\n", "1:9", &["default value is not a constant"]);
    assert_renders("x = 2 ** 99999999999999999999\n", "1:10", &["integer literal too large"]);
    assert_renders("break\n", "1:1", &["'break' outside a loop"]);
    assert_renders("x = 1\nx()\n", "2:1", &["calling the variable 'x'"]);
}

#[test]
fn bad_expectation_kind_points_at_the_word() {
    assert_renders(
        "# expect: deadlock, livelock\nx = 1\n",
        "1:21",
        &["unknown expectation kind 'livelock'", "lost-update"],
    );
}

#[test]
fn missing_file_has_no_span() {
    let d = interleave_lang::load(std::path::Path::new("/nonexistent/model.py")).unwrap_err();
    let text = d.render();
    assert_eq!((d.line, d.col), (0, 0));
    assert!(text.contains("/nonexistent/model.py"), "{text}");
    assert!(text.contains("cannot read model file"), "{text}");
    assert!(text.contains("= help:"), "{text}");
}

#[test]
fn render_at_points_at_a_program_span() {
    let p = crate::ok("x = 1\ny = x // 0\n");
    let interleave_machine::ir::StmtKind::Assign(_, e) = &p.main[1].kind else { panic!() };
    let text = interleave_lang::render_at(
        &p,
        e.span,
        "ZeroDivisionError: integer division or modulo by zero",
        "raised here",
        Some("check the divisor"),
    );
    assert!(text.contains("error: ZeroDivisionError"), "{text}");
    assert!(text.contains("t.py:2:5"), "{text}");
    assert!(text.contains("2 | y = x // 0"), "{text}");
    assert!(text.contains("^^^^^^ raised here"), "{text}");
    assert!(text.contains("= help: check the divisor"), "{text}");
}
