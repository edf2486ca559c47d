// Placeholder until the addon lands: succeeds so that `npm install` works.
console.log('@embrec/native: no addon yet');
