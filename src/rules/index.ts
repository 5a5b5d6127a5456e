// The rules core: (config, state, input, clock reading) -> (state, decisions). Pure: no I/O,
// no timers, no Date.now(); the scheduler adapter (scheduler.ts) turns nextDue() into ticks.
//
// ---------------------------------------------------------------------------------------------
// Rules (CONTRACT.md "Alerts"). Keys: one ongoing condition = one key; while its alert
// is open a repeat gives at most an 'update'. "Latched" = already alerted this episode; only the
// condition clearing re-arms it, a person resolving does not.
//
// smoke:<dev>           smoke:true. smoke:false -> update 'cleared', stays open until a person
//                       resolves it. Smoke again while still open -> update 'smoke again'.
// co:<dev>, gas:<dev>,  carbon_monoxide / gas / water_leak true: as smoke, from any device kind
// water_leak:<dev>      (a smoke+CO combo raises both).
// emergency:<dev>       sos:true, action sos/emergency/panic on any device, or on a button one of
//                       its emergencyActions (default also single, double, hold, long, press);
//                       arm/disarm/off/"*release" are recorded, never an emergency.
//                       Never resolved automatically; another press -> update 'pressed again'.
// inactivity            see inactivity.ts. Activity resumed -> update 'activity resumed', and
//                       resolve unless a person already acknowledged (then it is theirs to
//                       close). A person resolving restarts the silence from that moment.
// night_door:<dev>      entrance door open longer than nightDoor.after counting only time inside
//                       nightDoor.hours; closed before then: nothing. Closed after: update 'door
//                       closed', stays open (someone may have gone out at night). Off when the
//                       config has no nightDoor.
// device_offline:<dev>  availability offline for offline.after (default 5m), or nothing heard
//                       from the device for its supervisionMs (default 25h, zigbee2mqtt's
//                       battery-device timeout; all our kinds are battery devices). Any message
//                       from the device itself (state or availability online) -> resolve
//                       'back online', even if acknowledged: the fact settles it.
// receiver_offline:    input 'receiver' {path, down, reason}, handed to every home with a device
//   <path>              on that serial receiver (config.ts receiverServes): down -> a device_offline
//                       alert {receiver, reason} (no deviceId); down again while open -> update
//                       'still offline'; back -> resolve with its reason, even if acknowledged. A
//                       person resolving it during the outage does not reopen it for that outage.
// battery_low:<dev>     battery_low:true or battery <= 10 %. Resolves 'battery ok' at
//                       battery_low:false (or >= 20 % when a level is given): the gap stops a
//                       battery at 10-11 % flapping.
// tamper:<dev>          tamper:true; tamper:false -> resolve 'tamper cleared'.
// test:true             a 'record' ('self-test'); nothing else in that payload is judged.
// visit [start,end)     suppresses inactivity and night-door time, never smoke or emergency. The
//                       visitor saw the resident: an unacknowledged inactivity alert resolves
//                       ('caseworker visit') and the silence restarts at the visit's end.
// away from home        entrance door opened then closed, then no indoor activity for 10 min ->
//                       record 'away from home', no inactivity until the entrance door opens or
//                       indoor activity (learned mode: two different sensors within 15 min; one
//                       alone is judged after 6 h). Not inferred from the door cycle that
//                       brought them home (nor, in learned mode, one after 2 h without indoor
//                       activity: a fall just inside the door must not look like an errand),
//                       nor during nightDoor.hours. Fixed mode needs a motion or presence sensor.
// absence               away for 36 h with no planned absence, or not back 12 h after a planned
//                       one ended -> an `absence` alert (the caseworker's question), once per
//                       absence; resolved 'back home'. Never an inactivity alert.
// planned absence       input 'absence' {id, from, until} (API, SMS): no inactivity until `until`;
//                       ended early by coming home; 'absence_cancelled' drops it at once.
// inactivity defaults   no `inactivity` block -> no inactivity alerts. learned: see learned.ts
//                       (a prior from the first hour, thresholds by room class, nights until the
//                       latest waking; min 1h, max 12h, learningDays 3 = the prior's weight).
// start                 initialState treats `now` as last activity and every device as just
//                       heard, so a fresh gateway does not alarm on history it never saw.
// ---------------------------------------------------------------------------------------------
export { initialState, decide, nextDue } from './core.ts';
export { rulesConfigFor, receiverServes, isEntrance, type RulesDeviceSource } from './config.ts';
export { isLifeSafety } from './devices.ts';
export type { Decision, HomeState, PlannedAbsence, ResidentRulesConfig, RuleInput } from './state.ts';
export { RuleScheduler, virtualClock, type RuleClock, type VirtualClock, type TimerHandle } from './scheduler.ts';
export { replay, type OpenedAlert, type ReceiverChange } from './replay.ts';
