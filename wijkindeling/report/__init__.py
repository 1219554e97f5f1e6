"""Everything made from a plan and its scores: plan files, maps, QGIS styles, comparisons, the handreiking."""
