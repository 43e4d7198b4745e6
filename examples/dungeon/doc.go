// Package dungeon is a bug at the bottom of a dungeon, found by following
// a numeric watermark: a hero goes down floor by floor, finding each
// floor's stairs one time in Odds, and the gold carried doubles per floor.
// A numeric Sometimes on the gold beats its best at each new floor, which
// is the progress exploration follows; the bug is on the last floor.
package dungeon
