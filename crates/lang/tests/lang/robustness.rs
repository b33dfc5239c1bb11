//! `parse` never panics, whatever the input.

use interleave_lang::parse;

#[test]
fn odd_inputs_do_not_panic() {
    let deep_parens = format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
    let deep_neg = format!("x = {}1\n", "-".repeat(5000));
    let deep_list = format!("x = {}{}\n", "[".repeat(2000), "]".repeat(2000));
    let deep_call = format!("x = {}0{}\n", "abs(".repeat(1000), ")".repeat(1000));
    let deep_blocks: String =
        (0..90).map(|i| format!("{}if True:\n", "    ".repeat(i))).collect::<String>() + &"    ".repeat(90) + "pass\n";
    let inputs = [
        "",
        "\n\n",
        "# only a comment\n",
        "# expect: none",
        "\u{feff}x = 1\n",
        "x = 'unterminated\n",
        "(((",
        "x = 1\r\ny = x\r\n",
        "\tx = 1\n",
        "é = 1\nprint(é)\n",
        "x = f'{'\n",
        "def f(:",
        "return",
        "import",
        "from . import x\n",
        "from multiprocessing import *\n",
        "x: int = 1\n",
        "async def f():\n    await g()\n",
        "match x:\n    case 1:\n        pass\n",
        "x = b'1'\n",
        "x = 1j\n",
        "x = ...\n",
        "__name__ = 1\n",
        "print(os)\n",
        "import os\nprint(os)\n",
        "x = [*a]\n",
        "a, *b = 1, 2\n",
        "x = 1\nx[1:2] = 3\n",
        "x = (y := 1)\n",
        "print(*[1])\n",
        "x = 'a'[::2]\n",
        "def f(a):\n    global a\n",
        "def f():\n    pass\ndef f():\n    pass\n",
        &deep_parens,
        &deep_neg,
        &deep_list,
        &deep_call,
        &deep_blocks,
    ];
    for input in inputs {
        let result = std::panic::catch_unwind(|| parse("odd.py", input).map_err(|d| d.render()));
        assert!(result.is_ok(), "panicked on {:?}", &input[..input.len().min(60)]);
    }
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    let src = format!("x = {}1\n", "-(".repeat(300)) + &")".repeat(300);
    let d = parse("deep.py", &src).unwrap_err();
    assert!(d.render().contains("nested too deeply") || d.render().contains("syntax error"), "{}", d.render());
}
