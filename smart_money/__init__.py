"""smart-money: point-in-time smart-money features and conviction models on Dagster."""
