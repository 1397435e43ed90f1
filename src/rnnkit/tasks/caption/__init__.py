"""Image captioning: a small CNN encoder and an attention decoder of the run's recurrent
network, trained on the generated shapes-captions images (or the user's)."""
