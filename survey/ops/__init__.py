"""Operations: a session in, rows out; no request, no render."""
