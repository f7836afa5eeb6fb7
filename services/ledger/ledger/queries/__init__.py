"""Ledger's read side, one module per part of the register: the routes reach the tables through
here and through the handlers, never themselves."""
