//! Reading the manual's fenced code blocks, for the tests that run them as written.

/// A fenced code block of a Markdown file, unindented (blocks inside list items are indented).
#[derive(Debug, Clone)]
pub struct Block {
    /// The fence's info string: `sh`, `graphql`, `python`…
    pub language: String,
    pub body: String,
    /// The 1-based line of the opening fence.
    pub line: usize,
}

/// Every fenced block of `markdown`, in order.
pub fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        let Some(language) = trimmed.strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - trimmed.len();
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| l.trim_start() != "```")
            .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
            .collect();
        blocks.push(Block {
            language: language.trim().to_string(),
            body: body.join("\n"),
            line: n + 1,
        });
    }
    blocks
}

/// The first block of `language` in `markdown` that contains `marker`.
pub fn block_containing(markdown: &str, language: &str, marker: &str) -> Option<String> {
    fenced_blocks(markdown)
        .into_iter()
        .find(|b| b.language == language && b.body.contains(marker))
        .map(|b| b.body)
}
