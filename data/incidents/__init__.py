"""The incident views the console and the command line read: queue, detail, timeline text, export."""
