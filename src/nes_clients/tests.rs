//! Tests of the whole report on generated logs.
