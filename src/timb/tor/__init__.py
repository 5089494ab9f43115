"""The Tor layer: the only package that opens sockets, and only to tor's loopback ports."""
