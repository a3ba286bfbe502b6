# Limits on Markdown bodies (nesting, size, table width) and the preview's time budget.
content-error-too-large = This text is too large to publish: at most { $max } KiB.
content-error-too-deep = Line { $line } nests quotes or lists more than { $max } levels deep. Use fewer levels.
content-error-too-wide = Line { $line } starts a table of more than { $max } columns. Use fewer columns.
content-preview-too-slow = The preview took too long to render. Save the text and try again, or shorten it.
content-preview-limited = Part of this text will not be shown as written:
