// Validates an OpenAPI document with @apidevtools/swagger-parser (pinned in package.json): the document must
// match the OpenAPI 3.x schema and every $ref in it must resolve. Prints one summary line and exits 0, or prints
// the validator's errors and exits 1. Usage: node tests/tools/validate_openapi.js rest/openapi.json
'use strict';

const SwaggerParser = require('@apidevtools/swagger-parser');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

async function main(file) {
  const api = await SwaggerParser.validate(file);
  let operations = 0;
  for (const item of Object.values(api.paths || {})) {
    operations += METHODS.filter((m) => item[m]).length;
  }
  console.log(`valid: ${file}: OpenAPI ${api.openapi}, "${api.info.title}" ${api.info.version}, ` +
              `${Object.keys(api.paths || {}).length} paths, ${operations} operations`);
}

if (process.argv.length !== 3) {
  console.error('usage: node validate_openapi.js FILE');
  process.exit(2);
}
main(process.argv[2]).catch((error) => {
  console.error(`invalid: ${process.argv[2]}: ${error.message}`);
  if (error.details) console.error(JSON.stringify(error.details, null, 2).slice(0, 20000));
  process.exit(1);
});
