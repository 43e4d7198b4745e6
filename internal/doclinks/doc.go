// Package doclinks holds no code: its test checks the project's Markdown,
// so that every relative link in README.md and docs/ leads to a file that
// exists, every link to a heading (file.md#anchor, #anchor) to a heading
// that exists, and every chapter under docs/ is reachable from README.md
// or docs/architecture.md. Renamed or removed files and headings break
// the test, not the reader.
package doclinks
