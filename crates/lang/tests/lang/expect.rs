//! Expectation headers.

use crate::{err, ok};

#[test]
fn kinds_are_merged_sorted_and_deduplicated() {
    let p = ok("# expect: lost-update, deadlock\nx = 1\n    # expect: crash, deadlock\n");
    assert_eq!(p.expect, ["crash", "deadlock", "lost-update"]);
}

#[test]
fn none_and_missing_header_mean_no_finding() {
    assert!(ok("# expect: none\n").expect.is_empty());
    assert!(ok("x = 1\n").expect.is_empty());
}

#[test]
fn headers_inside_strings_or_after_code_do_not_count() {
    let p = ok("s = '''\n# expect: deadlock\n'''\nx = 1  # expect: hang\n");
    assert!(p.expect.is_empty(), "{:?}", p.expect);
}

#[test]
fn unknown_or_empty_kinds_are_rejected() {
    let d = err("x = 1\n# expect: deadlok\n");
    assert_eq!((d.line, d.col), (2, 11));
    assert!(d.render().contains("deadlock, hang, assertion"));
    assert!(err("# expect:\n").message.contains("empty expectation"));
    assert!(err("# expect: none, hang\n").message.contains("'none'"));
}
