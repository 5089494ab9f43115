"""OTR version 3 (and 2), sans-I/O. See docs/otr.md."""
