"""Tests of the classifier-retraining track."""
