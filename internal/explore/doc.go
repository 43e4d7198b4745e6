// Package explore is the engine of package explore: it runs timelines,
// keeps the coverage map of their discoveries, and branches a timeline
// where it discovers something new to the whole exploration. It knows
// nothing of worlds; a run is a function from a recipe to an outcome, so
// the engine is tested on plain random streams.
package explore
