"""A real browser (headless Chromium through chromedriver) walks the HTML
view of a served demo (API.md section 12)."""
