"""wijkindeling: divide a Dutch municipality's CBS buurten into contiguous areas for hechte wijkverbanden."""

__version__ = "0.1.0"
