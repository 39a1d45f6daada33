"""Each benchmark of bench/ runs at a tiny size."""
