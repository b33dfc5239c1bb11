//! Files: truncate at open, buffered writes that land at flush or close.

use std::sync::Arc;

use super::Args;
use crate::interp::FileHandle;
use crate::interp::Run;
use crate::ir::ExcType;
use crate::value::{self, raise, unsupported, OpResult, Value};
use crate::world::Loc;

impl Run<'_, '_> {
    pub(crate) fn open(&mut self, a: &Args) -> OpResult<Value> {
        let path = match a.get(0, &["file"]) {
            Some(Value::Str(s)) => s.clone(),
            _ => return unsupported("open() needs a file path string"),
        };
        let mode = a.get(1, &["mode"]).map_or("r".to_string(), value::to_str);
        let (writable, append) = match mode.replace('t', "").as_str() {
            "r" => (false, false),
            "w" => (true, false),
            "a" => (true, true),
            m => return unsupported(format!("open() mode '{m}' is not modelled; use 'r', 'w' or 'a'")),
        };
        if !writable && self.w.file(&path).is_none() {
            return raise(ExcType::FileNotFoundError, format!("[Errno 2] No such file or directory: '{path}'"));
        }
        if writable && !append {
            let f = self.w.file_mut(&path);
            let was = f.content.len();
            f.content = Arc::new(vec![]);
            self.write(Loc::File(path.clone()));
            self.ctx.effect(|| format!("truncates '{path}' ({was} bytes -> 0)"));
        } else if append {
            self.w.file_mut(&path);
        } else {
            self.ctx.effect(|| format!("opens '{path}' for reading"));
        }
        self.p.files.push(FileHandle { path, writable, append, pos: 0, buf: String::new(), closed: false });
        Ok(Value::File(self.p.files.len() as u32 - 1))
    }

    pub(crate) fn file_method(&mut self, i: u32, name: &str, a: &Args) -> OpResult<Value> {
        let f = self.p.files[i as usize].clone();
        if f.closed {
            return raise(ExcType::ValueError, "I/O operation on closed file.");
        }
        match name {
            "write" if f.writable => {
                let s = value::to_str(a.get(0, &[]).unwrap_or(&Value::None));
                let n = s.chars().count();
                self.p.files[i as usize].buf.push_str(&s);
                Ok(Value::Int(n as i64))
            }
            "read" | "readline" if !f.writable => {
                let content = self.w.file(&f.path).map(|x| x.content.clone()).unwrap_or_default();
                let rest = &content[(f.pos as usize).min(content.len())..];
                let text = String::from_utf8_lossy(rest).to_string();
                let text =
                    if name == "readline" { text.split_inclusive('\n').next().unwrap_or("").to_string() } else { text };
                self.p.files[i as usize].pos += text.len() as u32;
                self.read(Loc::File(f.path.clone()));
                self.ctx.effect(|| format!("reads {} from '{}'", value::repr(&Value::str(&text)), f.path));
                Ok(Value::str(&text))
            }
            "flush" => {
                self.file_flush(i);
                Ok(Value::None)
            }
            "close" => self.file_close(i).map(|()| Value::None),
            _ => raise(ExcType::ValueError, format!("file not open for '{name}'")),
        }
    }

    pub(crate) fn file_close(&mut self, i: u32) -> OpResult<()> {
        self.file_flush(i);
        self.p.files[i as usize].closed = true;
        Ok(())
    }

    /// Buffered text lands in the file at the handle's own offset.
    pub(crate) fn file_flush(&mut self, i: u32) {
        let f = &mut self.p.files[i as usize];
        if f.buf.is_empty() {
            return;
        }
        let buf = std::mem::take(&mut f.buf);
        let (path, append, pos) = (f.path.clone(), f.append, f.pos);
        let file = self.w.file_mut(&path);
        let content = Arc::make_mut(&mut file.content);
        let at = if append { content.len() } else { (pos as usize).min(content.len()) };
        let end = at + buf.len();
        if content.len() < end {
            content.resize(end, 0);
        }
        content[at..end].copy_from_slice(buf.as_bytes());
        let now = String::from_utf8_lossy(content).to_string();
        self.p.files[i as usize].pos = end as u32;
        self.write(Loc::File(path.clone()));
        self.ctx.effect(|| {
            format!(
                "writes {} at offset {at}: '{path}' is now {}",
                value::repr(&Value::str(&buf)),
                value::repr(&Value::str(&now))
            )
        });
    }
}
