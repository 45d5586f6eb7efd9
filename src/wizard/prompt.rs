//! The three kinds of question the wizard asks, behind one small trait: [`TerminalPrompter`]
//! asks a person (dialoguer's look, on stderr), [`ScriptedPrompter`] answers from a list so the
//! flow can be tested without a terminal.

use crate::face::{interrupt, output};
use dialoguer::console::{Key, Term, measure_text_width};
use dialoguer::theme::{ColorfulTheme, Theme};
use std::collections::VecDeque;
use std::io;
use thiserror::Error;

/// Turns a raw answer into the value to keep, or says why it is refused.
pub type Check<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Why a question got no answer.
#[derive(Debug, Error)]
pub enum PromptError {
    /// Esc or Ctrl-C: the person wants out.
    #[error("cancelled, nothing created")]
    Cancelled,
    #[error("the terminal failed: {0}")]
    Io(#[from] io::Error),
}

/// What the wizard needs from whoever answers it.
pub trait Prompter {
    /// Shows text that needs no answer: the explanation, the summary.
    fn show(&mut self, text: &str) -> Result<(), PromptError>;

    /// Asks for one line of text until `check` accepts it, and returns what `check` made of
    /// it. An empty answer stands for `default` when there is one. A refused answer is
    /// reported with its reason and the question is asked again.
    fn text(
        &mut self,
        question: &str,
        default: Option<&str>,
        check: Check<'_>,
    ) -> Result<String, PromptError>;

    /// Asks to pick one of `choices`; returns its index.
    fn select(
        &mut self,
        question: &str,
        choices: &[&str],
        default: usize,
    ) -> Result<usize, PromptError>;

    /// Asks a yes/no question.
    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError>;

    /// The width text should fit, when there is one (a terminal's columns).
    fn width(&self) -> Option<usize> {
        None
    }
}

// ---- Scripted answers, for tests ----

/// One scripted answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Typed text (for a text question).
    Text(String),
    /// Just Enter: the default.
    Enter,
    /// The choice with this index (for a select).
    Choose(usize),
    Yes,
    No,
    /// Esc / Ctrl-C.
    Cancel,
}

/// Answers questions from a list and records everything it was shown, so tests can check both
/// what the wizard did and what it said.
#[derive(Debug, Default)]
pub struct ScriptedPrompter {
    answers: VecDeque<Answer>,
    /// Every question, shown text and refusal, in order, one entry each.
    pub transcript: Vec<String>,
    /// The screen width to report (none: text is not fitted).
    pub width: Option<usize>,
}

impl ScriptedPrompter {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> ScriptedPrompter {
        ScriptedPrompter {
            answers: answers.into_iter().collect(),
            transcript: Vec::new(),
            width: None,
        }
    }

    /// The answers not used yet (a test usually wants none left).
    pub fn remaining(&self) -> usize {
        self.answers.len()
    }

    fn next(&mut self, question: &str) -> Result<Answer, PromptError> {
        self.answers.pop_front().ok_or_else(|| {
            PromptError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the script has no answer left for {question:?}"),
            ))
        })
    }

    fn unexpected(question: &str, answer: &Answer) -> PromptError {
        PromptError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("scripted answer {answer:?} does not fit the question {question:?}"),
        ))
    }
}

impl Prompter for ScriptedPrompter {
    fn show(&mut self, text: &str) -> Result<(), PromptError> {
        self.transcript.push(text.to_string());
        Ok(())
    }

    fn text(
        &mut self,
        question: &str,
        default: Option<&str>,
        check: Check<'_>,
    ) -> Result<String, PromptError> {
        loop {
            self.transcript.push(format!("? {question}"));
            let raw = match self.next(question)? {
                Answer::Text(t) if t.is_empty() => default.unwrap_or_default().to_string(),
                Answer::Text(t) => t,
                Answer::Enter => default.unwrap_or_default().to_string(),
                Answer::Cancel => return Err(PromptError::Cancelled),
                other => return Err(Self::unexpected(question, &other)),
            };
            match check(&raw) {
                Ok(value) => return Ok(value),
                Err(reason) => self.transcript.push(format!("refused: {reason}")),
            }
        }
    }

    fn select(
        &mut self,
        question: &str,
        choices: &[&str],
        default: usize,
    ) -> Result<usize, PromptError> {
        self.transcript.push(format!("? {question}"));
        match self.next(question)? {
            Answer::Choose(i) if i < choices.len() => Ok(i),
            Answer::Enter => Ok(default),
            Answer::Cancel => Err(PromptError::Cancelled),
            other => Err(Self::unexpected(question, &other)),
        }
    }

    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
        self.transcript.push(format!("? {question}"));
        match self.next(question)? {
            Answer::Yes => Ok(true),
            Answer::No => Ok(false),
            Answer::Enter => Ok(default),
            Answer::Cancel => Err(PromptError::Cancelled),
            other => Err(Self::unexpected(question, &other)),
        }
    }

    fn width(&self) -> Option<usize> {
        self.width
    }
}

// ---- A person at a terminal ----

/// Asks on the terminal (stderr), with dialoguer's colourful theme (console honours NO_COLOR).
///
/// Choices and yes/no questions are dialoguer's own. Text questions use a small line editor of
/// our own in the same look, because dialoguer's `Input` ignores Esc and clears the refused
/// answer; here Esc cancels and a refused answer stays on the line to be corrected.
pub struct TerminalPrompter {
    term: Term,
    theme: ColorfulTheme,
    _raw_mode: RawMode,
    /// While the wizard asks, Ctrl-C must cancel it cleanly rather than kill the process:
    /// dialoguer (through console) answers Ctrl-C by raising SIGINT. Under the guard the raise
    /// only sets the flag, so the read returns `Interrupted` and the wizard says "cancelled,
    /// nothing created". The guard is gone before the pair is created, so Ctrl-C during
    /// creation behaves as in every other command.
    _interrupts: interrupt::Guard,
}

impl TerminalPrompter {
    pub fn new() -> TerminalPrompter {
        TerminalPrompter {
            term: Term::stderr(),
            theme: ColorfulTheme::default(),
            _raw_mode: RawMode::enter(),
            _interrupts: interrupt::Guard::install(),
        }
    }

    /// Maps dialoguer's outcome: `None` is Esc, an interrupted read is Ctrl-C.
    fn answered<T>(&self, result: dialoguer::Result<Option<T>>) -> Result<T, PromptError> {
        match result {
            Ok(Some(value)) if !interrupt::interrupted() => Ok(value),
            Ok(_) => Err(self.cancelled()),
            Err(dialoguer::Error::IO(e)) if e.kind() == io::ErrorKind::Interrupted => {
                Err(self.cancelled())
            }
            Err(dialoguer::Error::IO(e)) => Err(PromptError::Io(e)),
        }
    }

    fn cancelled(&self) -> PromptError {
        // dialoguer hides the cursor while a choice is open; leave the terminal as it was.
        let _ = self.term.show_cursor();
        PromptError::Cancelled
    }

    /// Columns of the terminal (never zero, so wrapping arithmetic stays sound).
    fn columns(&self) -> usize {
        usize::from(self.term.size().1).max(1)
    }
}

impl Default for TerminalPrompter {
    fn default() -> Self {
        TerminalPrompter::new()
    }
}

impl TerminalPrompter {
    /// Writes a line fitted to the terminal (broken at spaces, never mid-word); returns the
    /// rows it took.
    fn write_fitted(&self, line: &str) -> io::Result<usize> {
        let lines = output::wrap_words(line, self.columns().saturating_sub(1).max(1));
        for l in &lines {
            self.term.write_line(l)?;
        }
        Ok(lines.len())
    }

    /// A question too long for one row with its decoration (`? … ›`, a default, an answer):
    /// its first lines are printed above, fitted, and the prompt keeps only the last line, so
    /// the prompt dialoguer redraws is one row. Returns the rows printed and the prompt.
    fn lead(&self, question: &str, decoration: usize) -> io::Result<(usize, String)> {
        let room = self.columns().saturating_sub(decoration + 1).max(10);
        let mut lines = output::wrap_words(question, room);
        let last = lines.pop().unwrap_or_default();
        for l in &lines {
            self.term.write_line(l)?;
        }
        Ok((lines.len(), last))
    }

    /// After an answer: the question's lines above are cleared and one fitted line says what
    /// was answered (`✔ question · answer`). After Esc nothing of the question stays.
    fn settle(&self, lead_rows: usize, question: &str, answer: Option<&str>) -> io::Result<()> {
        self.term.clear_last_lines(lead_rows)?;
        if let Some(answer) = answer {
            let mut done = String::new();
            let _ = self
                .theme
                .format_input_prompt_selection(&mut done, question, answer);
            self.write_fitted(&done)?;
        }
        Ok(())
    }
}

/// Columns the theme adds around a question: `? `, ` ›`, a default in brackets, an answer.
const DECORATION: usize = 16;

impl Prompter for TerminalPrompter {
    fn show(&mut self, text: &str) -> Result<(), PromptError> {
        // The wizard fits what it shows; a line that still does not fit breaks at a space.
        for line in text.lines() {
            self.write_fitted(line)?;
        }
        Ok(())
    }

    fn width(&self) -> Option<usize> {
        Some(self.columns().saturating_sub(1).max(1))
    }

    fn text(
        &mut self,
        question: &str,
        default: Option<&str>,
        check: Check<'_>,
    ) -> Result<String, PromptError> {
        let default_width = default.map_or(0, |d| measure_text_width(d) + 3);
        let (lead_rows, short) = self.lead(question, DECORATION + default_width)?;
        let mut prompt = String::new();
        let _ = self.theme.format_input_prompt(&mut prompt, &short, default);
        let mut line = LineEditor::new(&self.term, prompt, self.columns());
        let mut refusal_rows = 0;
        loop {
            let verdict = |text: &str| {
                let raw = match default {
                    Some(d) if text.trim().is_empty() => d,
                    _ => text,
                };
                check(raw).map(|_| ())
            };
            line.draw(&verdict, &self.theme)?;
            let raw = loop {
                match self.term.read_key_raw()? {
                    Key::Enter => break line.text(),
                    Key::Escape | Key::CtrlC => {
                        line.finish(refusal_rows + lead_rows)?;
                        return Err(self.cancelled());
                    }
                    key => {
                        if line.edit(key) {
                            line.draw(&verdict, &self.theme)?;
                        }
                    }
                }
            };
            let raw = match default {
                Some(d) if raw.trim().is_empty() => d.to_string(),
                _ => raw,
            };
            line.finish(refusal_rows)?;
            match check(&raw) {
                Ok(value) => {
                    self.settle(lead_rows, question, Some(&value))?;
                    return Ok(value);
                }
                Err(reason) => {
                    // The reason above the question, the refused text still there to correct.
                    let mut error = String::new();
                    let _ = self.theme.format_error(&mut error, &reason);
                    refusal_rows = self.write_fitted(&error)?;
                }
            }
        }
    }

    fn select(
        &mut self,
        question: &str,
        choices: &[&str],
        default: usize,
    ) -> Result<usize, PromptError> {
        let (lead_rows, short) = self.lead(question, DECORATION)?;
        // Each choice on one row, or dialoguer could not redraw the list.
        let room = self.columns().saturating_sub(4).max(10);
        let fitted: Vec<String> = choices.iter().map(|c| output::ellipsize(c, room)).collect();
        let result = dialoguer::Select::with_theme(&self.theme)
            .with_prompt(short)
            .items(&fitted)
            .default(default)
            .report(false)
            .interact_on_opt(&self.term);
        let chosen = self.answered(result);
        // What was chosen, by the words before its explanation (`Quick`).
        let answer = chosen
            .as_ref()
            .ok()
            .map(|&i| choices[i].split(':').next().unwrap_or(choices[i]));
        self.settle(lead_rows, question, answer)?;
        chosen
    }

    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, PromptError> {
        let (lead_rows, short) = self.lead(question, DECORATION)?;
        let result = dialoguer::Confirm::with_theme(&self.theme)
            .with_prompt(short)
            .default(default)
            .report(false)
            .interact_on_opt(&self.term);
        let answer = self.answered(result);
        let said = answer
            .as_ref()
            .ok()
            .map(|&yes| if yes { "yes" } else { "no" });
        self.settle(lead_rows, question, said)?;
        answer
    }
}

/// One line of input after a prompt: insert, delete, move; redrawn whole on every change, so
/// it stays right when it wraps.
struct LineEditor<'t> {
    term: &'t Term,
    prompt: String,
    columns: usize,
    chars: Vec<char>,
    cursor: usize,
    /// Row of the cursor, counted from the prompt's first row.
    cursor_row: usize,
}

impl<'t> LineEditor<'t> {
    fn new(term: &'t Term, prompt: String, columns: usize) -> LineEditor<'t> {
        LineEditor {
            term,
            prompt,
            columns,
            chars: Vec::new(),
            cursor: 0,
            cursor_row: 0,
        }
    }

    fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// Applies one key; returns whether anything changed.
    fn edit(&mut self, key: Key) -> bool {
        match key {
            Key::Char(c) if !c.is_control() => {
                self.chars.insert(self.cursor, c);
                self.cursor += 1;
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
            }
            Key::Del if self.cursor < self.chars.len() => {
                self.chars.remove(self.cursor);
            }
            Key::ArrowLeft if self.cursor > 0 => self.cursor -= 1,
            Key::ArrowRight if self.cursor < self.chars.len() => self.cursor += 1,
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = self.chars.len(),
            _ => return false,
        }
        true
    }

    /// Redraws the prompt and the text, the verdict of the rules on the row below it (checked
    /// as you type: `✔`, or `✘` and why), and puts the cursor where it belongs.
    fn draw(
        &mut self,
        verdict: &dyn Fn(&str) -> Result<(), String>,
        theme: &ColorfulTheme,
    ) -> io::Result<()> {
        self.term.move_cursor_up(self.cursor_row)?;
        self.term.write_str("\r")?;
        self.term.clear_to_end_of_screen()?;
        let text = self.text();
        self.term.write_str(&self.prompt)?;
        self.term.write_str(&text)?;
        let prompt_width = measure_text_width(&self.prompt);
        let end = prompt_width + measure_text_width(&text);
        // At an exact multiple of the width the terminal waits on the last column.
        let end_row = if end > 0 && end.is_multiple_of(self.columns) {
            end / self.columns - 1
        } else {
            end / self.columns
        };
        // One row, cut to fit, so the cursor arithmetic below stays exact.
        let note = match verdict(&text) {
            Ok(()) => format!("{}", theme.success_prefix),
            Err(reason) => {
                let mut e = String::new();
                let _ = theme.format_error(&mut e, &reason);
                e
            }
        };
        let note = output::ellipsize(&note, self.columns.saturating_sub(1));
        self.term.write_str("\r\n")?;
        self.term.write_str(&note)?;
        let (row, column) = if self.cursor < self.chars.len() {
            let before: String = self.chars[..self.cursor].iter().collect();
            let at = prompt_width + measure_text_width(&before);
            (at / self.columns, at % self.columns)
        } else {
            (end_row, end - end_row * self.columns)
        };
        self.term.move_cursor_up(end_row + 1 - row)?;
        self.term.write_str("\r")?;
        self.term.move_cursor_right(column)?;
        self.cursor_row = row;
        self.term.flush()
    }

    /// Clears the prompt, the text, and `rows_above` rows of an earlier refusal.
    fn finish(&mut self, rows_above: usize) -> io::Result<()> {
        self.term.move_cursor_up(self.cursor_row + rows_above)?;
        self.term.write_str("\r")?;
        self.term.clear_to_end_of_screen()?;
        self.cursor_row = 0;
        self.term.flush()
    }
}

/// Keeps the terminal (stdin) in raw mode while the wizard asks. console switches raw mode on
/// and off around every key it reads; in between, the terminal's own line editing would act
/// on keys typed ahead: a Backspace would erase characters before the wizard saw them. Output
/// processing stays on, so lines still end where they should.
struct RawMode {
    original: Option<libc::termios>,
}

impl RawMode {
    const FD: libc::c_int = libc::STDIN_FILENO;

    fn enter() -> RawMode {
        let mut original = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the struct when it returns 0; it is only read then.
        if unsafe { libc::tcgetattr(Self::FD, original.as_mut_ptr()) } != 0 {
            return RawMode { original: None }; // not a terminal: console reports that itself
        }
        let original = unsafe { original.assume_init() };
        let mut raw = original;
        // SAFETY: cfmakeraw only edits the struct it is given.
        unsafe { libc::cfmakeraw(&mut raw) };
        raw.c_oflag = original.c_oflag;
        // SAFETY: a valid termios for a descriptor that is a terminal.
        unsafe { libc::tcsetattr(Self::FD, libc::TCSADRAIN, &raw) };
        RawMode {
            original: Some(original),
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(original) = &self.original {
            // SAFETY: restores the settings read in `enter`.
            unsafe { libc::tcsetattr(Self::FD, libc::TCSADRAIN, original) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_text_uses_the_default_and_records_refusals() {
        let mut p = ScriptedPrompter::new([Answer::Text("bad".into()), Answer::Enter]);
        let check = |s: &str| {
            if s == "bad" {
                Err("no".to_string())
            } else {
                Ok(s.to_uppercase())
            }
        };
        assert_eq!(p.text("Name", Some("good"), &check).unwrap(), "GOOD");
        assert_eq!(p.transcript, ["? Name", "refused: no", "? Name"]);
    }
}
