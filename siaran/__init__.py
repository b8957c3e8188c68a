"""Siaran: an institution's content-publication SOP, run as software."""
