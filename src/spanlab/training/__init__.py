"""Training on the Hugging Face Trainer: `recipe.train(cfg)` reads top-down."""
