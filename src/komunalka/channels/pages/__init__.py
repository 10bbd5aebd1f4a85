"""What the web doors share (resident cabinet, operator console, supplier portal): templates and
their translations, sessions, CSRF protection, role checks, the staff sign-in and the language
switch. Each door keeps its own routes and templates."""
