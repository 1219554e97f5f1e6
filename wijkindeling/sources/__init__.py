"""Everything that reads the outside world: CBS buurten, practice lists, patient counts, barrier lines and
OpenStreetMap (practices, barriers, road networks, with their caches). Knows nothing of plans."""
