//! The command blocks of the Markdown docs, with the `<!-- doc-test: ... -->` marker that
//! may stand on the line before each (tests/doc_blocks.rs says what the markers mean).

use std::path::Path;

/// What the marker before a block asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// No marker: the block runs alone in a fresh directory.
    Run,
    /// `skip (REASON)`: not run; REASON must be in the test's exception list.
    Skip(String),
    /// `continues`: runs after the previous block of the same file, in its directory.
    Continues,
    /// `name NAME`: runs alone, and other blocks may run after it.
    Name(String),
    /// `after NAME`: runs after the block named NAME (and what that one runs after).
    After(String),
}

#[derive(Debug, Clone)]
pub struct Block {
    pub file: String,
    /// 1-based line of the opening fence.
    pub line: usize,
    pub marker: Marker,
    pub text: String,
}

impl Block {
    pub fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// The languages whose blocks are commands.
const SHELL: [&str; 3] = ["sh", "bash", "console"];

fn parse_marker(line: &str) -> Result<Option<Marker>, String> {
    let Some(inner) = line.trim().strip_prefix("<!-- doc-test:").and_then(|r| r.strip_suffix("-->")) else {
        return Ok(None);
    };
    let inner = inner.trim();
    let marker = if let Some(reason) = inner.strip_prefix("skip (").and_then(|r| r.strip_suffix(')')) {
        Marker::Skip(reason.to_string())
    } else if inner == "continues" {
        Marker::Continues
    } else if let Some(name) = inner.strip_prefix("name ") {
        Marker::Name(name.trim().to_string())
    } else if let Some(name) = inner.strip_prefix("after ") {
        Marker::After(name.trim().to_string())
    } else {
        return Err(format!("unknown doc-test marker {line:?}"));
    };
    Ok(Some(marker))
}

/// Every shell block of `text` (the file `file`), with its marker. A marker that is not
/// directly followed by a shell block is an error, so a marker cannot drift off its block.
pub fn blocks(file: &str, text: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if parse_marker(lines[i])?.is_some() {
            let next = lines.get(i + 1).map(|l| l.trim_start()).unwrap_or("");
            if !SHELL.contains(&next.strip_prefix("```").unwrap_or("-").trim()) {
                return Err(format!("{file}:{}: a doc-test marker must stand right before a ```sh block", i + 1));
            }
        }
        let Some(lang) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i;
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim_start().starts_with("```"))
            .ok_or_else(|| format!("{file}:{}: a fenced block is not closed", start + 1))?;
        if SHELL.contains(&lang.trim()) {
            let marker = match start.checked_sub(1).map(|p| parse_marker(lines[p])) {
                Some(m) => m?.unwrap_or(Marker::Run),
                None => Marker::Run,
            };
            let text = lines[start + 1..end].join("\n");
            out.push(Block { file: file.to_string(), line: start + 1, marker, text });
        }
        i = end + 1;
    }
    Ok(out)
}

/// The Markdown files whose blocks are tested: README.md, ceremony-scripts/README.md and
/// docs/*.md, as paths relative to `root`.
pub fn documented_files(root: &Path) -> Vec<String> {
    let mut files = vec!["README.md".to_string(), "ceremony-scripts/README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}
