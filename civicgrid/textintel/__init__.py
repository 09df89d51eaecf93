"""Text intelligence (文本智能): classification, urgency, hot issues and text similarity of citizen messages."""
