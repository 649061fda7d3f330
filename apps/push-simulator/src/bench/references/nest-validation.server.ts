/**
 * Reference (issue 6): a Nest route on the Fastify adapter with class-validator — voice-push's
 * own request DTOs through Nest's ValidationPipe — and no storage. Prints `listening <port>`.
 */
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { CdrPushRequestDto, PUSH_VALIDATOR_OPTIONS, StatusPushRequestDto } from '#contracts';
import { acknowledgement } from '../serve-push-endpoints.js';

const validation = new ValidationPipe(PUSH_VALIDATOR_OPTIONS);

@Controller('v1/push')
class PushController {
  @Post('status')
  @HttpCode(200)
  status(@Body(validation) body: StatusPushRequestDto) {
    return acknowledgement(body);
  }

  @Post('cdr')
  @HttpCode(200)
  cdr(@Body(validation) body: CdrPushRequestDto) {
    return acknowledgement(body);
  }
}

@Module({ controllers: [PushController] })
class ReferenceModule {}

const app = await NestFactory.create<NestFastifyApplication>(ReferenceModule, new FastifyAdapter({ bodyLimit: 64 * 1024 }), {
  logger: false,
});
app.enableShutdownHooks();
const port = Number(process.env['PORT'] ?? 0);
await app.listen(port, '127.0.0.1');
const address = app.getHttpServer().address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
