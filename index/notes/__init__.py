"""Reading notes: front matter, Markdown, talk segmentation, bylines, the corpus walk, chunking."""
