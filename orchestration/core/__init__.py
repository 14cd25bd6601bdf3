"""The domain every runtime shares: the lake and its layout, manifests, parked files,
settings, errors, seeding. Imports nothing of the other roles."""
