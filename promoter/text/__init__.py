"""Text analytics over comments: sentiment and themes, offline (no model or data downloaded)."""
