// Package maze is a bug behind many rare gates, the case exploration is
// for: four locks, each behind five gates that open one time in twenty,
// and the bug is "all locks open". A plain random run opens them all with
// a chance of 20^-20, about 10^-26; exploration, which branches a run at
// each gate it passes, opens them in a few hundred timelines.
package maze
