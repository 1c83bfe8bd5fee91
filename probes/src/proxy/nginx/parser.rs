//! Directives and blocks: the tree the lexer's tokens make.

use super::lexer::Lexer;
use super::lexer::Pos;
use super::lexer::SyntaxError;
use super::lexer::Tok;
use super::lexer::directive;

use crate::inventory::{Diagnostic, Source};
use std::rc::Rc;
use std::sync::Arc;

/// Nesting of blocks and includes.
pub(super) const MAX_DEPTH: usize = 64;

/// Include sites that lead from a root to a file: (file, line), outermost first.
pub(super) type Via = Rc<Vec<(Arc<str>, u32)>>;

/// One directive, with its block when it has one.
#[derive(Clone, Debug)]
pub(super) struct Directive {
    pub(super) name: String,
    pub(super) args: Vec<String>,
    pub(super) file: Arc<str>,
    pub(super) line: u32,
    /// How the file was reached from the root being read (empty in the parsed file itself).
    pub(super) via: Via,
    pub(super) block: Option<Vec<Directive>>,
}

impl Directive {
    pub(super) fn arg(&self, i: usize) -> &str {
        self.args.get(i).map_or("", String::as_str)
    }

    pub(super) fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }

    /// The line to show for this directive in `file`: its own when it is in that file, else the
    /// line of the `include` in `file` that brought it in, else `fallback`.
    pub(super) fn line_in(&self, file: &str, fallback: u32) -> u32 {
        if &*self.file == file {
            return self.line;
        }
        self.via.iter().rev().find(|(f, _)| &**f == file).map_or(fallback, |(_, l)| *l)
    }
}

/// Parses one file. On a syntax error, returns what was read before it and the error (at the
/// error's line, with its column in the reason).
pub(super) fn parse(text: &str, file: &Arc<str>) -> (Vec<Directive>, Option<Diagnostic>) {
    let mut lexer = Lexer::new(text);
    let mut current: Vec<Directive> = Vec::new();
    // Open blocks: the block's directive (with where it starts), and the directives around it.
    let mut open: Vec<(Directive, Pos, Vec<Directive>)> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut start = Pos { line: 0, offset: 0 };
    let empty: Via = Rc::new(Vec::new());
    let make = |args: &mut Vec<String>, line: u32| {
        let mut it = std::mem::take(args).into_iter();
        Directive {
            name: it.next().unwrap_or_default(),
            args: it.collect(),
            file: Arc::clone(file),
            line,
            via: Rc::clone(&empty),
            block: None,
        }
    };
    let error: Option<SyntaxError> = loop {
        let (tok, at) = match lexer.next() {
            Ok(t) => t,
            Err(e) => break Some(e),
        };
        match tok {
            Tok::Word(w) => {
                if args.is_empty() {
                    start = at;
                }
                args.push(w);
            }
            Tok::Semi => {
                if args.is_empty() {
                    break Some(lexer.error(at, "unexpected \";\", expecting a directive name"));
                }
                current.push(make(&mut args, start.line));
            }
            Tok::Open => {
                if args.is_empty() {
                    break Some(lexer.error(at, "unexpected \"{\", expecting a directive name"));
                }
                let mut d = make(&mut args, start.line);
                if d.name.ends_with("_by_lua_block") {
                    if let Err(e) = lexer.skip_lua(at) {
                        break Some(e);
                    }
                    d.block = Some(Vec::new());
                    current.push(d);
                } else if open.len() >= MAX_DEPTH {
                    break Some(lexer.error(at, &format!("blocks nested more than {MAX_DEPTH} deep")));
                } else {
                    open.push((d, start, std::mem::take(&mut current)));
                }
            }
            Tok::Close => {
                if !args.is_empty() {
                    let what = directive(&args[0], "directive");
                    break Some(lexer.error(start, &format!("unexpected \"}}\": {what} has no \";\"")));
                }
                let Some((mut d, _, parent)) = open.pop() else {
                    break Some(lexer.error(at, "unexpected \"}\": no block is open"));
                };
                d.block = Some(std::mem::replace(&mut current, parent));
                current.push(d);
            }
            Tok::Eof => {
                if !args.is_empty() {
                    let what = directive(&args[0], "directive");
                    break Some(
                        lexer.error(start, &format!("unexpected end of file: {what} has no \";\" or \"}}\"")),
                    );
                }
                if let Some((d, at, _)) = open.last() {
                    let what = directive(&d.name, "block");
                    break Some(lexer.error(
                        *at,
                        &format!("unexpected end of file, expecting \"}}\": {what} is not closed"),
                    ));
                }
                break None;
            }
        }
    };
    // Keep what was read: close the blocks still open.
    while let Some((mut d, _, parent)) = open.pop() {
        d.block = Some(std::mem::replace(&mut current, parent));
        current.push(d);
    }
    let diagnostic =
        error.map(|(line, reason)| Diagnostic { source: Source { file: Arc::clone(file), line }, reason });
    (current, diagnostic)
}
