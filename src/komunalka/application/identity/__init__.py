"""Identity: residents, their channel identities, sign-in, sessions, API tokens, profiles."""
