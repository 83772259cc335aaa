"""Pure text, no model weights: language, sentences and tokens (one analysis per text), page
chrome and HTML extraction, ranking, compression, bullet shaping and styles. Imports nothing else
of ``models`` but its errors."""
