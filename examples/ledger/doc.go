// Package ledger is a bank ledger served over package rpc, the example of
// its delivery modes and of the bug they exist to expose.
//
// A [Server] keeps account balances in a journal on its disk, synced
// before each answer, and serves three endpoints at well-known tokens.
// Clients use a different delivery mode for each, for a reason:
//
//   - Deposit with GetReply: at least once. The request is resent on
//     every new connection until its reply comes, so a deposit whose
//     reply was lost to a reset, a partition or a reboot arrives again.
//     Each deposit carries an id, and the server applies an id once,
//     remembering the ids in its journal across restarts.
//   - Withdraw with TryGetReply: at most once. A withdrawal carries no id;
//     when the connection ends before the reply, the client learns
//     ErrMaybeDelivered and counts the withdrawal as unknown.
//   - Balance with GetReplyUnlessFailedFor: a read that gives up once the
//     server has been unreachable for two seconds.
//
// The planted bug (Server.ApplyTwice, the test's -planted flag) skips the
// id lookup. A deposit resent by GetReply after its first delivery was
// applied is applied twice; the simulation finds a seed where that
// happens, under the default chaos with reboots, and the replay line
// replays it.
package ledger
