//! Reality against the model: each observed outcome is predicted by the
//! model's outcome set, or unexplained (a bug in interleave: reality did
//! something the model says is impossible). When the model's search was
//! not exhaustive, an outcome outside its partial set is only "not seen by
//! an incomplete search": nothing is proven either way.

use std::collections::BTreeSet;

use interleave_machine::system::Outcome;
use serde::Serialize;

use crate::Tally;

/// What the model says can happen.
#[derive(Clone, Debug, Default)]
pub struct ModelSide {
    pub outcomes: BTreeSet<Outcome>,
    /// Every interleaving was explored: the outcome set is complete.
    pub exhaustive: bool,
    /// The model has a deadlock or hang finding: a run may never end.
    pub can_hang: bool,
    /// Which bound stopped an incomplete search.
    pub stopped_by: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// In the model's outcome set.
    Predicted,
    /// Outside a complete outcome set: impossible by the model.
    Unexplained,
    /// Outside the outcome set of a search that a bound stopped.
    NotSeenByIncompleteSearch,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Predicted => "predicted",
            Status::Unexplained => "UNEXPLAINED",
            Status::NotSeenByIncompleteSearch => "not seen by the incomplete search",
        }
    }
}

/// An outcome with how often it was observed.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub main_output: Vec<String>,
    pub exit: i64,
    pub count: usize,
    pub percent: f64,
    pub status: Status,
}

/// Something observed that the model does not explain.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Unexplained {
    Outcome {
        main_output: Vec<String>,
        exit: i64,
        count: usize,
    },
    /// Runs that timed out although the model says every run ends (or the
    /// timeout is too short for the program).
    Hang {
        count: usize,
    },
    /// Runs with no outcome at all (main killed by a signal, runner failure).
    Crash {
        reason: String,
        count: usize,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct CrashRow {
    pub reason: String,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelSummary {
    pub exhaustive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    pub outcomes: usize,
    pub can_hang: bool,
}

/// The whole comparison; its JSON is `interleave run --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub runs: usize,
    pub observed: Vec<Row>,
    pub hangs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hangs_status: Option<Status>,
    pub crashes: Vec<CrashRow>,
    /// Runs in which some process died of an uncaught exception.
    pub exceptions: usize,
    pub unexplained: Vec<Unexplained>,
    /// Observed, but outside the outcome set of an incomplete search.
    pub not_seen_by_incomplete_search: Vec<Row>,
    /// Predicted outcomes no run showed (count 0).
    pub never_observed: Vec<Row>,
    pub model: ModelSummary,
    pub interrupted: bool,
}

fn percent(k: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        (1000.0 * k as f64 / n as f64).round() / 10.0
    }
}

impl ModelSide {
    fn status_of(&self, known: bool) -> Status {
        match (known, self.exhaustive) {
            (true, _) => Status::Predicted,
            (false, true) => Status::Unexplained,
            (false, false) => Status::NotSeenByIncompleteSearch,
        }
    }
}

/// Holds the runs against the model.
pub fn compare(t: &Tally, model: &ModelSide) -> Comparison {
    let n = t.runs;
    let mut observed: Vec<Row> = t
        .outcomes
        .iter()
        .map(|(o, &count)| Row {
            main_output: o.main_output.clone(),
            exit: o.exit,
            count,
            percent: percent(count, n),
            status: model.status_of(model.outcomes.contains(o)),
        })
        .collect();
    // most frequent first; ties in the outcome's own order (stable output)
    observed.sort_by_key(|r| std::cmp::Reverse(r.count));
    let mut unexplained = vec![];
    for r in observed.iter().filter(|r| r.status == Status::Unexplained) {
        unexplained.push(Unexplained::Outcome { main_output: r.main_output.clone(), exit: r.exit, count: r.count });
    }
    let hangs_status = (t.hangs > 0).then(|| model.status_of(model.can_hang));
    if hangs_status == Some(Status::Unexplained) {
        unexplained.push(Unexplained::Hang { count: t.hangs });
    }
    let crashes: Vec<CrashRow> =
        t.crashes.iter().map(|(reason, &count)| CrashRow { reason: reason.clone(), count }).collect();
    for c in &crashes {
        unexplained.push(Unexplained::Crash { reason: c.reason.clone(), count: c.count });
    }
    let not_seen = observed.iter().filter(|r| r.status == Status::NotSeenByIncompleteSearch).cloned().collect();
    let never_observed = model
        .outcomes
        .iter()
        .filter(|o| !t.outcomes.contains_key(*o))
        .map(|o| Row {
            main_output: o.main_output.clone(),
            exit: o.exit,
            count: 0,
            percent: 0.0,
            status: Status::Predicted,
        })
        .collect();
    Comparison {
        runs: n,
        observed,
        hangs: t.hangs,
        hangs_status,
        crashes,
        exceptions: t.exceptions,
        unexplained,
        not_seen_by_incomplete_search: not_seen,
        never_observed,
        model: ModelSummary {
            exhaustive: model.exhaustive,
            stopped_by: model.stopped_by.clone(),
            outcomes: model.outcomes.len(),
            can_hang: model.can_hang,
        },
        interrupted: t.interrupted,
    }
}

impl Comparison {
    /// 1 when something is unexplained; 3 when an incomplete search leaves
    /// an observation undecided; else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.unexplained.is_empty() {
            1
        } else if !self.not_seen_by_incomplete_search.is_empty()
            || (self.hangs_status == Some(Status::NotSeenByIncompleteSearch))
        {
            3
        } else {
            0
        }
    }

    /// The comparison as a person reads it.
    pub fn render_text(&self, title: &str) -> String {
        let mut s = format!("== {title}\n");
        let m = &self.model;
        let search = if m.exhaustive {
            "exhaustive".to_string()
        } else {
            format!("INCOMPLETE ({})", m.stopped_by.as_deref().unwrap_or("stopped by a bound"))
        };
        let hang = if m.can_hang { "yes (deadlock or hang found)" } else { "no" };
        s += &format!("   model: {search}, {} outcomes, can hang: {hang}\n", m.outcomes);
        s += &format!("   {} runs:\n", self.runs);
        s += "     count  percent  outcome -> model\n";
        for r in &self.observed {
            s += &row(r);
        }
        let hang_label = self.hangs_status.map_or(String::new(), |st| format!(" -> {}", st.label()));
        s += &format!(
            "     {:>5}  {:>6.1}%  hang (timed out){hang_label}\n",
            self.hangs,
            percent(self.hangs, self.runs)
        );
        for c in &self.crashes {
            s += &format!(
                "     {:>5}  {:>6.1}%  crash: {} -> UNEXPLAINED\n",
                c.count,
                percent(c.count, self.runs),
                c.reason
            );
        }
        if self.exceptions > 0 {
            s += &format!("   runs in which a process died of an uncaught exception: {}\n", self.exceptions);
        }
        if !self.never_observed.is_empty() {
            s += "   predicted by the model, never observed:\n";
            for r in &self.never_observed {
                s += &row(r);
            }
        }
        s += &format!("   verdict: {}\n", self.verdict());
        s
    }

    fn verdict(&self) -> String {
        if self.interrupted {
            return format!("interrupted after {} runs", self.runs);
        }
        match self.exit_code() {
            1 => format!(
                "{} observation(s) UNEXPLAINED by the model: reality did what the model says is impossible; \
                 this is a bug in interleave (or, for a hang, a timeout too short for the program)",
                self.unexplained.len()
            ),
            3 => "the model's search was incomplete, so observations outside its partial outcome set prove \
                  nothing; raise --max-states/--max-seconds or use the models/small/ twin"
                .to_string(),
            _ if self.model.exhaustive => "every observation is predicted by the model".to_string(),
            _ => "every observation is in the outcome set found so far (the search was incomplete)".to_string(),
        }
    }
}

fn row(r: &Row) -> String {
    let out = serde_json::to_string(&r.main_output).unwrap_or_default();
    format!("     {:>5}  {:>6.1}%  {out} exit {} -> {}\n", r.count, r.percent, r.exit, r.status.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(line: &str, exit: i64) -> Outcome {
        Outcome { main_output: vec![line.to_string()], exit }
    }

    fn tally(outcomes: &[(Outcome, usize)], hangs: usize) -> Tally {
        let mut t = Tally { hangs, ..Tally::default() };
        for (o, k) in outcomes {
            t.outcomes.insert(o.clone(), *k);
        }
        t.runs = outcomes.iter().map(|(_, k)| k).sum::<usize>() + hangs;
        t
    }

    fn model(outcomes: &[Outcome], exhaustive: bool, can_hang: bool) -> ModelSide {
        ModelSide { outcomes: outcomes.iter().cloned().collect(), exhaustive, can_hang, stopped_by: None }
    }

    #[test]
    fn outcome_outside_an_exhaustive_set_is_unexplained() {
        let t = tally(&[(out("98", 0), 3), (out("96", 0), 1)], 0);
        let c = compare(&t, &model(&[out("97", 0), out("98", 0)], true, false));
        assert_eq!(c.observed[0].status, Status::Predicted);
        assert_eq!(c.observed[1].status, Status::Unexplained);
        assert_eq!(c.unexplained.len(), 1);
        assert_eq!(c.never_observed.len(), 1);
        assert_eq!(c.never_observed[0].count, 0);
        assert_eq!(c.exit_code(), 1);
    }

    #[test]
    fn outcome_outside_an_incomplete_set_is_undecided_not_unexplained() {
        let t = tally(&[(out("96", 0), 2)], 0);
        let c = compare(&t, &model(&[], false, false));
        assert_eq!(c.observed[0].status, Status::NotSeenByIncompleteSearch);
        assert!(c.unexplained.is_empty());
        assert_eq!(c.exit_code(), 3);
        assert!(c.render_text("t").contains("not seen by the incomplete search"));
    }

    #[test]
    fn a_hang_is_predicted_only_by_a_deadlock_or_hang_finding() {
        let t = tally(&[], 5);
        assert_eq!(compare(&t, &model(&[], true, true)).exit_code(), 0);
        let c = compare(&t, &model(&[out("3", 0)], true, false));
        assert_eq!(c.hangs_status, Some(Status::Unexplained));
        assert_eq!(c.exit_code(), 1);
    }

    #[test]
    fn exit_codes_distinguish_outcomes() {
        let t = tally(&[(out("2", 1), 1)], 0);
        let c = compare(&t, &model(&[out("2", 0)], true, false));
        assert_eq!(c.exit_code(), 1, "same lines, other exit code: another outcome");
    }
}
