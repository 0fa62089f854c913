"""Where notes come from: fetching a URL, the article inside an HTML page, iCalendar schedules,
guessing the event, and writing an imported note into the corpus (`python -m index.add`)."""
