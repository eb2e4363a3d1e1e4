// Validates a CycloneDX JSON document against the official 1.5 schema with
// the CycloneDX project's own library (strict: unknown properties are
// errors). Usage: CDX_DIR=<npm prefix> node validate.js FILE.json
// Exit 0 valid, 1 invalid (errors on stderr), 2 validator unavailable.
const fs = require('fs');
const CDX = require(process.env.CDX_DIR + '/node_modules/@cyclonedx/cyclonedx-library');
const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5);
validator.validate(fs.readFileSync(process.argv[2], 'utf8')).then(
  (errors) => {
    if (errors === null) {
      console.log('valid CycloneDX 1.5');
      process.exit(0);
    }
    console.error(JSON.stringify(errors, null, 1));
    process.exit(1);
  },
  (e) => {
    console.error('validator unavailable: ' + e);
    process.exit(2);
  });
