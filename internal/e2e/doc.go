// Package e2e drives the whole program through a real browser: it starts
// Hallmark with app.Start on a free port with a temporary database and the
// demo banner, and walks the pages with the system Chromium through chromedp,
// the way an official at a desk or an inspector on a phone would.
//
// The tests run when HALLMARK_TEST_BROWSER=1 (CI sets it and installs
// Chromium); HALLMARK_TEST_CHROMIUM names the browser binary, /usr/bin/chromium
// by default. With the variable set, a browser that does not start fails the
// test rather than skipping it.
package e2e
