"""Wire-compatible APIs of the products Promoter replaces (docs/delighted-compat.md)."""
