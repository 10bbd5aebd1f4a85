"""Use cases: one module each, ports they need as Protocols. No framework imports."""
