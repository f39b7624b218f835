# console tests: a real browser. Debian's chromium and its chromedriver, driven by Selenium from the e2e and
# test-support tests (test-support's io.terok.testsupport.browser.Browser). Not part of the --product profile:
# the console itself needs no browser on the host.
ensure_packages chromium chromium-driver
