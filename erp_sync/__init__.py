"""Two-way exchange with a 1C-style accounting system (CommerceML 2.x, SOAP)."""
