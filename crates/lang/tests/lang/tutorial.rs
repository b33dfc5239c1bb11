//! The tutorial's programs (seed-tutorial.txt) lower as written.

use interleave_machine::ir::{Builtin, Callee, ExprKind, StmtKind};

use crate::{func, ok};

/// Its data-sharing example defines `f1` twice; each `if __name__` block
/// must start the `f1` defined above it.
const DATA_SHARING: &str = r#"from multiprocessing import Process,Manager,Lock
import time
def f1(m_d):
    temp = m_d['num']
    temp -= 1
    m_d['num'] = temp

if __name__ == '__main__':
    m = Manager()
    m_d = m.dict({'num':100})
    p_list = []
    for i in range(10):
        p = Process(target=f1,args=(m_d,))
        p.start()
        p_list.append(p)
    for p in p_list:
        p.join()

    print(m_d['num'])

def f1(m_d,lic):
    lic.acquire()
    temp = m_d['num']
    temp -= 1
    time.sleep(1)
    m_d['num'] = temp
    lic.release()
if __name__ == '__main__':
    m = Manager()
    m_d = m.dict({'num':100})
    p_list = []
    lic = Lock()
    for i in range(10):
        p = Process(target=f1,args=(m_d,lic))
        p.start()
        p_list.append(p)
    for p in p_list:
        p.join()

    print(m_d['num'])
"#;

fn process_target(block: &[interleave_machine::ir::Stmt]) -> u32 {
    for stmt in block {
        if let StmtKind::For(_, _, body, _) = &stmt.kind {
            if let StmtKind::Assign(_, e) = &body[0].kind {
                if let ExprKind::Call(Callee::Builtin(Builtin::Process), _, kw) = &e.kind {
                    if let ExprKind::Function(i) = kw[0].1.kind {
                        return i;
                    }
                }
            }
        }
    }
    panic!("no Process(target=...) in block")
}

#[test]
fn redefined_function_resolves_to_the_def_above() {
    let p = ok(DATA_SHARING);
    assert_eq!(p.functions.len(), 2);
    assert_eq!(p.functions[0].locals, ["m_d", "temp"]);
    assert_eq!(p.functions[1].locals, ["m_d", "lic", "temp"]);
    assert_eq!(p.main.len(), 2);
    let targets: Vec<u32> = p
        .main
        .iter()
        .map(|s| match &s.kind {
            StmtKind::If(_, body, _) => process_target(body),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(targets, [0, 1]);
    assert_eq!(p.globals, ["m", "m_d", "p_list", "i", "p", "lic"]);
}

const TICKETS: &str = r#"from multiprocessing import Process,Lock
import time
def search_ticket(i):
    with open('ticket','r',encoding='utf-8') as f:
        num_txt =  f.read()
        num_dict = eval(num_txt)
        return num_dict

def show_ticket(i):
    print('%s号查询到的剩余票数为%s'%(i,search_ticket(i)['ticket']))

def get_ticket(i,lic):
    lic.acquire()
    num_ticket = search_ticket(i)
    if num_ticket['ticket'] > 0:
        print('%s号抢到了'%i)
        num_ticket['ticket'] -= 1
        with open('ticket', 'w', encoding='utf-8') as f:
            f.write(str(num_ticket))
    else:
        print('%s号没抢到'%i)
    lic.release()

if __name__ == '__main__':
    for i in range(1,11):
        p1 = Process(target=show_ticket,args=(i,))
        p1.start()
    lic = Lock()
    for i in range(1,11):
        p2 = Process(target=get_ticket,args=(i,lic))
        p2.start()
"#;

#[test]
fn ticket_model_lowers() {
    let p = ok(TICKETS);
    assert_eq!(func(&p, "search_ticket").locals, ["i", "f", "num_txt", "num_dict"]);
    assert_eq!(func(&p, "get_ticket").locals, ["i", "lic", "num_ticket", "f"]);
    let StmtKind::With(items, _) = &func(&p, "search_ticket").body[0].kind else { panic!() };
    let ExprKind::Call(Callee::Builtin(Builtin::Open), args, kw) = &items[0].0.kind else { panic!() };
    assert_eq!(args.len(), 2);
    assert_eq!(kw[0].0, "encoding");
    assert_eq!(p.globals, ["i", "p1", "lic", "p2"]);
}

const JOINABLE: &str = r#"from multiprocessing import Process,Queue,JoinableQueue
import time

def produce(q):
    for i in range(10):
        time.sleep(0.2)
        s = '%s号包子'%i
        q.put(s)
        print(s+'中了')
    q.join()

def consumer(q):
    while 1:
        time.sleep(0.5)
        num = q.get()
        if num == None:
            break
        q.task_done()

if __name__ == '__main__':
    q = JoinableQueue(10)
    pro = Process(target=produce,args=(q,))
    con = Process(target=consumer,args=(q,))
    pro.start()
    con.daemon = True
    con.start()
    pro.join()
    print('主程序运行结束')
"#;

#[test]
fn joinable_queue_model_lowers() {
    use interleave_machine::ir::{BinOp, Target};
    let p = ok(JOINABLE);
    let produce = func(&p, "produce");
    assert_eq!(produce.locals, ["q", "i", "s"]);
    let StmtKind::For(_, _, body, _) = &produce.body[0].kind else { panic!() };
    let StmtKind::Assign(_, fmt) = &body[1].kind else { panic!() };
    assert!(matches!(fmt.kind, ExprKind::Binary(BinOp::Mod, _, _)));
    let StmtKind::While(_, body, _) = &func(&p, "consumer").body[0].kind else { panic!() };
    assert!(matches!(body[2].kind, StmtKind::If(..)));
    let StmtKind::If(_, main, _) = &p.main[0].kind else { panic!() };
    assert!(matches!(&main[4].kind, StmtKind::Assign(t, _) if matches!(&t[0], Target::Attr(_, a, _) if a == "daemon")));
}
