"""HTTP resources: one module per noun, each a Collection and an Item class."""
