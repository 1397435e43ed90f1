"""Tasks: data + model head + loss + metrics + generate/predict, one module per task."""
