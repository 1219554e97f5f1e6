"""Config-free building blocks of the districting problem: adjacency, barriers, identity groups,
catchments, the :class:`~wijkindeling.model.problem.Problem` itself and the scores of a plan."""
